package oauthtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"sync"
)

// stateVersion is the version of the state file format this build writes
// and reads. Version 1 was one JSON document rewritten after each request.
const stateVersion = 2

// minJournal is how many bytes of changes the state file gathers at least
// before it is rewritten from a snapshot.
const minJournal = 4 << 20

// preallocated is how many bytes of zeros the state file carries past its
// records, written and synced ahead, so that the sync of each append
// (fdatasync) writes the data alone: the file's size does not change, and
// the file system has no metadata to commit. A load stops at the zeros.
const preallocated = 1 << 20

// zeros is written ahead of the records; never modified.
var zeros = make([]byte, preallocated)

// WithStateFile keeps the provider's state in path across restarts, for
// local development: an app's refresh token still works after the
// provider restarted. It keeps codes, access, refresh and ID tokens,
// browser sessions, device authorizations, pushed requests, used client
// assertions and DPoP proofs (and the DPoP nonce), clients registered
// dynamically, users (recent ones of the login page too), the clock, the
// keys (rotated ones as private keys, PKCS #8; WithSigningKey's by kid,
// which must be the option's again) and the login page's anti-forgery key.
// It does not keep staged faults, the request log, back-channel
// deliveries or cached client ID metadata documents.
//
// The file is a journal: a header line, then one JSON line per changed
// record. The changes of concurrent requests are written and synced
// together (group commit), and a request is answered only once its
// changes are on disk, so that a crash loses nothing that was answered; a
// request that changes nothing writes nothing. Now and then the file is
// rewritten from a snapshot (write, sync, rename), and so it is at start.
//
// At start the file is loaded: a last line cut short by a crash is
// ignored; NewProvider fails on a file that is otherwise corrupt, of
// another version or of another issuer, and leaves it as it is. A write
// that fails is answered with 500 server_error and reported (see
// WithErrorHandler); the next write rewrites the whole file. Nothing is
// written without this option.
func WithStateFile(path string) Option {
	return optionFunc(func(c *config) error { c.stateFile = path; return nil })
}

// WithErrorHandler receives the errors that no request's answer carries
// whole: a state file that could not be written. Without it they are
// logged with the standard log package; NewTestProvider fails the test
// with them.
func WithErrorHandler(handle func(error)) Option {
	return optionFunc(func(c *config) error { c.onError = handle; return nil })
}

// stateHeader is the first line of the state file.
type stateHeader struct {
	Version int    `json:"version"`
	Issuer  string `json:"issuer"`
}

// stateLine is every other line: a record of one store.
type stateLine struct {
	Store string          `json:"s"`
	Key   string          `json:"k,omitempty"`
	Value json.RawMessage `json:"v,omitempty"`
}

// journal writes the durable stores' changes to the state file.
type journal struct {
	path   string
	header []byte       // the file's first line
	stores []namedStore // the durable ones
	report func(error)

	// take orders the taking of the stores' changes: a commit holds it
	// while it takes and encodes them into next, which the writer swaps
	// for the buffer it wrote, and the writer holds it while it takes a
	// snapshot. So the changes are encoded while the previous batch is
	// being written, and the file gets them in the order they were taken.
	take  sync.Mutex
	next  []byte            // the lines of the pending batch
	whole map[string][]byte // the value last written of each store kept whole
	recs  []record          // reused by each take

	mu          sync.Mutex // guards the fields up to closed; taken after take
	pending     *batch     // changes taken, not yet being written
	inflight    *batch     // being written
	writing     bool       // a commit is writing batches
	rewriteNext bool       // the next write rewrites the file from a snapshot
	closed      bool

	// The writer (the one commit with writing set, or start) owns the
	// rest, without the mutexes.
	buf  []byte   // the lines being written; swapped with next
	f    *os.File // the file, open for appending; nil before the first write
	size int64    // bytes of records in the file
	end  int64    // bytes in the file: its records, then zeros
	base int64    // bytes of its last rewrite
}

// batch is the commits that one write makes durable: it writes the
// changes the stores noted before it started, which include theirs.
type batch struct {
	done chan struct{} // closed once written, or failed
	err  error
}

// newJournal keeps p's durable stores in path.
func (p *Provider) newJournal(path string) *journal {
	h, _ := json.Marshal(stateHeader{Version: stateVersion, Issuer: p.issuer})
	j := &journal{path: path, header: append(h, '\n'), whole: map[string][]byte{}, report: p.cfg.onError}
	if j.report == nil {
		j.report = func(err error) { log.Printf("%v", err) }
	}
	for _, s := range p.storeList() {
		if s.durable {
			j.stores = append(j.stores, s)
		}
	}
	return j
}

// start loads the file, if there is one, and rewrites it; from then on the
// tracked stores note their changes. A first start writes nothing.
func (j *journal) start() error {
	removeTemps(j.path)
	loaded, err := j.load()
	if err != nil {
		return err
	}
	for _, s := range j.stores {
		if t, ok := s.store.(tracked); ok {
			t.track()
		}
	}
	for _, s := range j.stores {
		if _, ok := s.store.(tracked); !ok {
			j.whole[s.name] = s.store.snapshot(nil)[0].Value
		}
	}
	if !loaded {
		return nil // the first write makes the file
	}
	file, err := j.snapshot()
	if err == nil {
		err = j.writeFile(file)
	}
	if err != nil {
		return fmt.Errorf("state file %s cannot be written: %w", j.path, err)
	}
	return nil
}

// removeTemps removes the temporary files of rewrites a crash cut short.
func removeTemps(path string) {
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(path), globEscape(filepath.Base(path))+".*.tmp"))
	for _, name := range stale {
		_ = os.Remove(name)
	}
}

// globEscape quotes the metacharacters of filepath.Match in s.
func globEscape(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		if r == '*' || r == '?' || r == '[' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// load reads the file into the stores and reports whether there was one.
func (j *journal) load() (bool, error) {
	b, err := os.ReadFile(j.path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // a first start
	}
	if err != nil {
		return false, fmt.Errorf("state file: %w", err)
	}
	head, rest, _ := bytes.Cut(b, []byte("\n"))
	if err := j.checkHeader(head); err != nil {
		return false, err
	}
	recs, err := readLines(rest)
	if err != nil {
		return false, fmt.Errorf("state file %s is corrupt (%v): delete it to start afresh, losing the codes, tokens and sessions in it", j.path, err)
	}
	for _, s := range j.stores {
		if err := s.store.restore(recs[s.name]); err != nil {
			return false, fmt.Errorf("state file %s is corrupt (%s: %v): delete it to start afresh", j.path, s.name, err)
		}
	}
	return true, nil
}

// checkHeader checks the file's first line.
func (j *journal) checkHeader(line []byte) error {
	var h stateHeader
	if err := json.Unmarshal(line, &h); err != nil {
		return fmt.Errorf("state file %s is corrupt (%v): delete it to start afresh, losing the codes, tokens and sessions in it", j.path, err)
	}
	var want stateHeader
	_ = json.Unmarshal(j.header, &want)
	switch {
	case h.Version > stateVersion:
		return fmt.Errorf("state file %s is of version %d, newer than this oauthtest reads (%d): upgrade, or delete the file", j.path, h.Version, stateVersion)
	case h.Version < 1:
		return fmt.Errorf("state file %s has no version: it is not an oauthtest state file", j.path)
	case h.Version < stateVersion:
		return fmt.Errorf("state file %s is of version %d, which this oauthtest no longer reads (%d): delete it to start afresh", j.path, h.Version, stateVersion)
	case h.Issuer != want.Issuer:
		return fmt.Errorf("state file %s was written by issuer %s, not %s: its tokens would not verify here", j.path, h.Issuer, want.Issuer)
	}
	return nil
}

// readLines decodes the records after the header, by store. A last line
// that a crash cut short (no newline, or not JSON) is ignored: its write
// was never synced, so no request that made it was answered. So is
// everything from a line with a NUL byte on, which no JSON line has: the
// zeros written ahead, which an unsynced write may have filled in part.
func readLines(b []byte) (map[string][]record, error) {
	recs := map[string][]record{}
	for n := 2; len(b) > 0; n++ {
		line, rest, complete := bytes.Cut(b, []byte("\n"))
		if bytes.IndexByte(line, 0) >= 0 {
			break // the zeros ahead, or a write cut short in them
		}
		var l stateLine
		err := json.Unmarshal(line, &l)
		if !complete || err != nil && len(bytes.TrimSpace(rest)) == 0 {
			break // torn
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
		recs[l.Store] = append(recs[l.Store], record{Key: l.Key, Value: l.Value})
		b = rest
	}
	return recs, nil
}

// rewrite makes the next write rewrite the file from a snapshot, after
// Reset.
func (j *journal) rewrite() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.rewriteNext = true
}

// snapshot encodes the file: the header, then every record of the
// durable stores. It drops the changes they noted, taken before each
// store's snapshot, so that a change made in between is written twice
// rather than not at all; j.take must be held (or start calls it).
func (j *journal) snapshot() ([]byte, error) {
	buf := make([]byte, 0, j.base+j.base/4+4096) // as big as the last one, and some
	buf = append(buf, j.header...)
	for _, s := range j.stores {
		if t, ok := s.store.(tracked); ok {
			clear(t.changes(j.recs[:0]))
		}
		j.recs = s.store.snapshot(j.recs[:0])
		if _, ok := s.store.(tracked); !ok {
			j.whole[s.name] = j.recs[0].Value
		}
		var err error
		buf, err = appendLines(buf, s.name, j.recs)
		clear(j.recs)
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// append writes and syncs buf after the file's records, over the zeros
// written ahead, first writing more zeros (and syncing them with the
// file's new size) when buf does not fit in them.
func (j *journal) append(buf []byte) error {
	if need := j.size + int64(len(buf)); need > j.end {
		for j.end < need+preallocated {
			n, err := j.f.WriteAt(zeros, j.end)
			j.end += int64(n)
			if err != nil {
				return err
			}
		}
		if err := j.f.Sync(); err != nil {
			return err
		}
	}
	n, err := j.f.WriteAt(buf, j.size)
	j.size += int64(n)
	if err != nil {
		return err
	}
	return syncData(j.f)
}

// writeFile replaces the file with file, a snapshot's header and records:
// written to a temporary file in the same directory, synced, renamed over
// the file, and the directory synced; the new file is then opened for
// appending.
func (j *journal) writeFile(file []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(j.path), filepath.Base(j.path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone after the rename; cleans up after a failure
	_, err = tmp.Write(file)
	if err == nil {
		_, err = tmp.Write(zeros) // ahead of the records to come
	}
	if err == nil {
		err = tmp.Sync()
	}
	if err2 := tmp.Close(); err == nil {
		err = err2
	}
	if err == nil {
		err = os.Rename(tmp.Name(), j.path)
	}
	if err != nil {
		return err
	}
	syncDir(filepath.Dir(j.path))
	return j.reopen(int64(len(file)))
}

// syncDir makes a rename in dir durable, where the system allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// reopen opens the rewritten file, of size bytes of records and then
// preallocated zeros, for appending.
func (j *journal) reopen(size int64) error {
	f, err := os.OpenFile(j.path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if j.f != nil {
		j.f.Close()
	}
	j.f, j.size, j.base, j.end = f, size, size, size+preallocated
	return nil
}

// close writes what changed since the last request, as after Go calls
// such as RevokeToken, and closes the file.
func (j *journal) close() {
	_ = j.commit()
	j.mu.Lock()
	defer j.mu.Unlock()
	j.closed = true
	if j.f != nil {
		j.f.Close()
	}
}
