package oauthtest

import "net/http"

// Held answers: with a state file, a request's answer is sent only once its
// changes are durable (statefile_commit.go).

// held is the answer to a request, held back until the request's changes
// are durable; nil without a state file, where answers go straight out.
type held struct {
	http.ResponseWriter
	j      *journal
	status int
	body   []byte
}

// hold holds back the answers written to w, with a state file.
func (p *Provider) hold(w http.ResponseWriter) *held {
	if p.journal == nil {
		return nil
	}
	return &held{ResponseWriter: w, j: p.journal}
}

// writer is what the handler answers through: h, or w without a state
// file.
func (h *held) writer(w http.ResponseWriter) http.ResponseWriter {
	if h == nil {
		return w
	}
	return h
}

// WriteHeader holds the first status back.
func (h *held) WriteHeader(status int) {
	if h.status == 0 {
		h.status = status
	}
}

// Write holds b back.
func (h *held) Write(b []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	h.body = append(h.body, b...)
	return len(b), nil
}

// commit waits until the changes made so far are durable. If they cannot
// be, the answer becomes a server_error that says why, and x, if any,
// records it.
func (h *held) commit(x *call) {
	if h == nil {
		return
	}
	err := h.j.commit()
	if err == nil {
		return
	}
	e := ErrServerError.WithDescription("%v", err)
	clear(h.Header())
	h.status, h.body = 0, nil
	writeJSONError(h, e)
	if x != nil {
		x.noteError(e)
		x.sent.status = h.status
	}
}

// send sends the answer held back.
func (h *held) send() {
	if h == nil || h.status == 0 {
		return
	}
	h.ResponseWriter.WriteHeader(h.status)
	_, _ = h.ResponseWriter.Write(h.body)
}
