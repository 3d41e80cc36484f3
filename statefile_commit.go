package oauthtest

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Group commit (statefile.go keeps the file): the changes of concurrent
// requests are taken in order into one batch, written and synced once, and
// each request waits for the batch that holds its changes.

// commit makes every change made so far durable and returns once it is:
// it takes the stores' changes into the pending batch and waits for that
// batch, writing it itself unless a write is under way. A commit that
// finds nothing to write waits only for the changes others took before,
// which it may have read.
func (j *journal) commit() error {
	j.take.Lock()
	n := len(j.next)
	next, err := j.collect(j.next)
	if err != nil {
		next = next[:n] // the lines of the stores before are lost with the failed one's:
	}
	j.next = next
	j.mu.Lock()
	j.take.Unlock()
	if err != nil {
		j.rewriteNext = true // ... the next write writes them whole, once they encode
		j.mu.Unlock()
		j.report(err)
		return err
	}
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	if j.pending == nil && (len(next) > n || j.rewriteNext) {
		j.pending = &batch{done: make(chan struct{})}
	}
	b := j.pending
	if b == nil {
		b = j.inflight
	}
	if b == nil {
		j.mu.Unlock()
		return nil
	}
	if !j.writing {
		j.writing = true
		j.writeUntil(b)
	}
	j.mu.Unlock()
	<-b.done
	return b.err
}

// collect appends the lines of the stores' changes to buf; j.take must
// be held.
func (j *journal) collect(buf []byte) ([]byte, error) {
	var err error
	for _, s := range j.stores {
		j.recs = j.changes(s, j.recs[:0])
		buf, err = appendLines(buf, s.name, j.recs)
		clear(j.recs) // drops the values for the collector
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// changes appends the records of s that changed since they were last
// written to dst; j.take must be held.
func (j *journal) changes(s namedStore, dst []record) []record {
	if t, ok := s.store.(tracked); ok {
		return t.changes(dst)
	}
	r := s.store.snapshot(dst)[len(dst)]
	if bytes.Equal(r.Value, j.whole[s.name]) {
		return dst
	}
	j.whole[s.name] = r.Value
	return append(dst, r)
}

// appendLines appends the lines of store's records to buf, built by hand
// around the records' JSON: json.Marshal of a stateLine would scan each
// value again.
func appendLines(buf []byte, store string, recs []record) ([]byte, error) {
	for _, r := range recs {
		if r.err != nil {
			return buf, fmt.Errorf("oauthtest: state file: %s %w", store, r.err)
		}
		key, _ := json.Marshal(r.Key) // a string always encodes
		buf = append(append(append(append(buf, `{"s":"`...), store...), `","k":`...), key...)
		if r.Value != nil {
			buf = append(append(buf, `,"v":`...), r.Value...)
		}
		buf = append(buf, "}\n"...)
	}
	return buf, nil
}

// writeUntil writes pending batches until mine is written, then leaves
// the batches that came meanwhile to a goroutine of their own, so that no
// request waits for others' writes longer than for one write after its
// own; j.mu must be held, and is released while writing.
func (j *journal) writeUntil(mine *batch) {
	for j.pending != nil && !mine.written() {
		j.writeNext()
	}
	if j.pending == nil {
		j.writing = false
		return
	}
	go func() {
		j.mu.Lock()
		defer j.mu.Unlock()
		for j.pending != nil {
			j.writeNext()
		}
		j.writing = false
	}()
}

// written reports whether the batch's write is over.
func (b *batch) written() bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}

// writeNext writes the pending batch, or the whole file when due; j.mu
// must be held, and is released while writing.
func (j *journal) writeNext() {
	j.mu.Unlock()
	j.take.Lock() // no commit is taking changes: the batch has all it took
	j.mu.Lock()
	b := j.pending
	j.pending, j.inflight = nil, b
	rewrite := j.rewriteNext || j.f == nil || j.size-j.base > max(minJournal, 2*j.base)
	j.rewriteNext = false
	j.mu.Unlock()
	var err, encErr error
	var file []byte
	if rewrite {
		file, encErr = j.snapshot() // supersedes the batch's lines
		j.next = j.next[:0]
		j.take.Unlock()
		if encErr == nil {
			err = j.writeFile(file)
		}
	} else {
		j.buf, j.next = j.next, j.buf[:0]
		j.take.Unlock()
		err = j.append(j.buf)
		if cap(j.buf) > 1<<20 {
			j.buf = nil // a rare big batch: not kept
		}
	}
	if err != nil {
		err = fmt.Errorf("oauthtest: state file %s could not be written: %w", j.path, err)
	}
	if encErr != nil {
		err = encErr // a record that does not encode: nothing was written
	}
	if err != nil {
		j.report(err)
	}
	j.mu.Lock()
	if err != nil {
		// The file's end is unknown, or a record is missing from it: the
		// next write starts it afresh, once every record encodes.
		j.rewriteNext = true
	}
	b.err, j.inflight = err, nil
	close(b.done)
}
