package fakesrv

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"
)

// Delivery is one webhook delivery a fake made (or holds).
type Delivery struct {
	Type   string
	URL    string
	Header http.Header
	Body   []byte
	Status int    // the receiver's answer; 0 if none
	Err    string // why no answer came, if so
}

// Message is one webhook to send: where, its event type, and the request
// exactly as the provider signs it.
type Message struct {
	URL    string
	Type   string
	Header http.Header
	Body   []byte
}

// Hooks delivers a fake's webhooks: in the background, in order, one
// attempt each (or held until Flush), and records every delivery. Safe for
// concurrent use; Close waits for deliveries in progress.
type Hooks struct {
	client *http.Client
	held   bool

	mu      sync.Mutex
	pending []Message // held until Flush
	queue   []Message // to deliver in the background
	working bool      // a worker drains queue
	log     []Delivery
	closed  bool
	wg      sync.WaitGroup
	changed chan struct{} // closed and replaced on every recorded delivery
}

// NewHooks returns a sender. held keeps deliveries until Flush.
func NewHooks(held bool) *Hooks {
	return &Hooks{
		client:  &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		held:    held,
		changed: make(chan struct{}),
	}
}

// Fire delivers msgs in the background (or holds them), after every
// message fired before: one worker drains one queue, so deliveries keep
// the order of the events.
func (h *Hooks) Fire(msgs ...Message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || len(msgs) == 0 {
		return
	}
	if h.held {
		h.pending = append(h.pending, msgs...)
		return
	}
	h.queue = append(h.queue, msgs...)
	if h.working {
		return
	}
	h.working = true
	h.wg.Add(1)
	go h.work()
}

// work delivers the queue until it is empty.
func (h *Hooks) work() {
	defer h.wg.Done()
	for {
		h.mu.Lock()
		if len(h.queue) == 0 || h.closed { // Close drops what is still queued
			h.queue = nil
			h.working = false
			h.mu.Unlock()
			return
		}
		m := h.queue[0]
		h.queue = h.queue[1:]
		h.mu.Unlock()
		h.Send(context.Background(), m)
	}
}

// Send delivers m now and records the delivery.
func (h *Hooks) Send(ctx context.Context, m Message) Delivery {
	d := Delivery{Type: m.Type, URL: m.URL, Header: m.Header.Clone(), Body: bytes.Clone(m.Body)}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, bytes.NewReader(m.Body))
	if err == nil {
		req.Header = m.Header.Clone()
		var resp *http.Response
		resp, err = h.client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
			d.Status = resp.StatusCode
		}
	}
	if err != nil {
		d.Err = err.Error()
	}
	h.mu.Lock()
	h.log = append(h.log, d)
	close(h.changed)
	h.changed = make(chan struct{})
	h.mu.Unlock()
	return d
}

// Flush delivers the held messages, in order, and reports the first
// delivery that got no 2xx.
func (h *Hooks) Flush(ctx context.Context) error {
	h.mu.Lock()
	msgs := h.pending
	h.pending = nil
	h.mu.Unlock()
	var first error
	for _, m := range msgs {
		d := h.Send(ctx, m)
		if (d.Status < 200 || d.Status > 299) && first == nil {
			first = errors.New("webhook " + m.Type + " to " + m.URL + ": " + describe(d))
		}
	}
	return first
}

func describe(d Delivery) string {
	if d.Err != "" {
		return d.Err
	}
	return http.StatusText(d.Status)
}

// Pending returns the held messages' types.
func (h *Hooks) Pending() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var types []string
	for _, m := range h.pending {
		types = append(types, m.Type)
	}
	return types
}

// Deliveries returns every delivery made so far, oldest first.
func (h *Hooks) Deliveries() []Delivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Delivery, len(h.log))
	copy(out, h.log)
	return out
}

// Wait blocks until at least n deliveries were made, or ctx ends.
func (h *Hooks) Wait(ctx context.Context, n int) ([]Delivery, error) {
	for {
		h.mu.Lock()
		if len(h.log) >= n {
			out := make([]Delivery, len(h.log))
			copy(out, h.log)
			h.mu.Unlock()
			return out, nil
		}
		ch := h.changed
		h.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return h.Deliveries(), ctx.Err()
		}
	}
}

// Close stops new deliveries and waits for those in progress.
func (h *Hooks) Close() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.wg.Wait()
	h.client.CloseIdleConnections()
}
