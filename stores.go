package oauthtest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// store is a part of the provider's state that owns its lifecycle: it
// resets itself to what the options configure, and snapshots and restores
// itself as records, each under its own mutex. Reset and the state file
// go through the provider's list of stores (storeTable), so a new
// store is one entry there and these three methods beside its type.
type store interface {
	// reset returns the store to its state at start, as c configures it.
	reset(c *config)
	// snapshot appends every record of the store to dst.
	snapshot(dst []record) []record
	// restore applies recs, in order, to the store: a record with a value
	// adds or replaces the record of its key, one without deletes it.
	restore(recs []record) error
}

// tracked is a store of many records that notes which ones change, so that
// the state file's journal writes only those. Stores that are not tracked
// are small and kept whole: the journal compares their snapshot with the
// one it wrote last.
type tracked interface {
	store
	// track makes the store note its changes from now on.
	track()
	// changes appends the records changed since the last call, or since
	// track, to dst: their values now, or deletions.
	changes(dst []record) []record
}

// record is one entry of a store: Key names it within the store ("" for a
// store kept whole), Value is its JSON, nil once it was deleted.
type record struct {
	Key   string          `json:"k,omitempty"`
	Value json.RawMessage `json:"v,omitempty"`
	err   error           // encoding Value failed
}

// newRecord encodes v, a store's state struct, as the record of key.
func newRecord(key string, v any) record {
	b, err := json.Marshal(v)
	if err != nil {
		err = fmt.Errorf("record %q: %w", key, err)
	}
	return record{Key: key, Value: b, err: err}
}

// deleted is the record of a key whose record is gone.
func deleted(key string) record { return record{Key: key} }

// decode reads r's value into v.
func (r record) decode(v any) error {
	if err := json.Unmarshal(r.Value, v); err != nil {
		return fmt.Errorf("record %q: %w", r.Key, err)
	}
	return nil
}

// namedStore is an entry of the provider's list of stores.
type namedStore struct {
	name    string // its key in the state file
	store   store
	durable bool // kept in the state file
}

// storeTable lists the provider's stores, declared once: NewProvider and
// Reset reset each, the state file keeps the durable ones, and the tests
// round-trip every one. The ID source is not a store: nothing changes it
// once the provider runs, and the clients of the options are configuration
// (the client store keeps only those registered dynamically). The request
// log, the back-channel deliveries, staged faults and claim rules set at
// run time are what a test observes or stages in one run, and the cache of
// client ID metadata documents is fetched again: none is kept across
// restarts. A package-level table, so that a provider's start allocates no
// list.
var storeTable = [...]struct {
	name    string // its key in the state file
	of      func(*Provider) store
	durable bool // kept in the state file
}{
	{"clock", func(p *Provider) store { return &p.clock }, true},
	{"clients", func(p *Provider) store { return &p.clients }, true},
	{"users", func(p *Provider) store { return &p.users }, true},
	{"keys", func(p *Provider) store { return &p.keys }, true},
	{"forms", func(p *Provider) store { return &p.forms }, true},
	{"codes", func(p *Provider) store { return &p.codes }, true},
	{"pars", func(p *Provider) store { return &p.pars }, true},
	{"tokens", func(p *Provider) store { return &p.tokens }, true},
	{"sessions", func(p *Provider) store { return &p.sessions }, true},
	{"devices", func(p *Provider) store { return &p.devices }, true},
	{"assertions", func(p *Provider) store { return &p.assertions }, true},
	{"dpop", func(p *Provider) store { return &p.dpop }, true},
	{"faults", func(p *Provider) store { return &p.faults }, false},
	{"requests", func(p *Provider) store { return &p.requests }, false},
	{"backchannel", func(p *Provider) store { return &p.backchannel }, false},
	{"documents", func(p *Provider) store { return &p.documents }, false},
	{"rules", func(p *Provider) store { return &p.rules }, false},
}

// storeList is the provider's stores, as storeTable lists them.
func (p *Provider) storeList() []namedStore {
	list := make([]namedStore, len(storeTable))
	for i, s := range storeTable {
		list[i] = namedStore{s.name, s.of(p), s.durable}
	}
	return list
}

// resetStores returns every store to what c configures.
func (p *Provider) resetStores(c *config) {
	for _, s := range storeTable {
		s.of(p).reset(c)
	}
}

// changeLog is the keys of a tracked store's records changed since the
// journal last took them. The store's mutex guards it; it notes nothing
// until on, so that a provider without a state file pays nothing.
type changeLog struct {
	on   bool
	keys map[string]struct{}
}

// note records that the record of key changed.
func (c *changeLog) note(key string) {
	if !c.on {
		return
	}
	if c.keys == nil {
		c.keys = make(map[string]struct{})
	}
	c.keys[key] = struct{}{}
}

// take appends the record of each noted key, as current returns it, to
// dst and forgets the keys.
func (c *changeLog) take(dst []record, current func(key string) record) []record {
	for k := range c.keys {
		dst = append(dst, current(k))
	}
	clear(c.keys)
	return dst
}

// stime is a time as the state file keeps it: RFC 3339 for years 0 to
// 9999, which encoding/json refuses beyond, else "unix:SECONDS.NANOS", so
// that no time the clock can reach stops the file from being written.
type stime time.Time

// MarshalJSON encodes t.
func (t stime) MarshalJSON() ([]byte, error) {
	tt := time.Time(t).UTC()
	if y := tt.Year(); y >= 0 && y <= 9999 {
		return []byte(`"` + tt.Format(time.RFC3339Nano) + `"`), nil
	}
	return []byte(fmt.Sprintf(`"unix:%d.%09d"`, tt.Unix(), tt.Nanosecond())), nil
}

// UnmarshalJSON decodes what MarshalJSON encoded, in UTC.
func (t *stime) UnmarshalJSON(b []byte) error {
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return fmt.Errorf("time %s is not a string", b)
	}
	if rest, ok := strings.CutPrefix(s, "unix:"); ok {
		secs, nanos, _ := strings.Cut(rest, ".")
		sec, err1 := strconv.ParseInt(secs, 10, 64)
		nsec, err2 := strconv.ParseInt(nanos, 10, 64)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("time %q is not unix:SECONDS.NANOS", s)
		}
		*t = stime(time.Unix(sec, nsec).UTC())
		return nil
	}
	tt, err := time.Parse(time.RFC3339Nano, s)
	*t = stime(tt.UTC())
	return err
}

func (t stime) time() time.Time { return time.Time(t) }
