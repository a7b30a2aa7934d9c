package openvpn

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
)

// maxLine bounds one management line; longer ones are dropped and counted.
const maxLine = 64 << 10

// ErrClosed is returned by [Conn.Command] and [Conn.Next] once the
// management connection is gone.
var ErrClosed = errors.New("management connection closed")

// Conn is one management-interface connection. Notifications are queued
// without bound so that reading answers never waits for the consumer of
// notifications (which may itself be waiting for an answer).
type Conn struct {
	rw      io.ReadWriteCloser
	log     *slog.Logger
	dropped atomic.Uint64

	wmu sync.Mutex // serialises writes and the order of pending answers

	mu sync.Mutex // guards the fields below
	// pending holds one channel per command sent and not yet answered,
	// in the order OpenVPN answers them.
	pending []chan Result
	lines   []string // multi-line output collected for pending[0]
	queue   []Message
	wake    chan struct{} // closed and replaced when queue grows or err is set
	err     error
}

// NewConn starts reading rw. log receives one debug line per dropped line.
func NewConn(rw io.ReadWriteCloser, log *slog.Logger) *Conn {
	c := &Conn{rw: rw, log: log, wake: make(chan struct{})}
	go c.read()
	return c
}

// Dropped reports how many malformed or oversized lines were skipped.
func (c *Conn) Dropped() uint64 { return c.dropped.Load() }

// Close closes the connection; pending and future calls get ErrClosed.
func (c *Conn) Close() error { return c.rw.Close() }

func (c *Conn) read() {
	var p Parser
	r := bufio.NewReaderSize(c.rw, 4096)
	var err error
	for {
		var line string
		line, err = readLine(r)
		if errors.Is(err, errLong) {
			c.drop(err)
			continue
		}
		if err != nil {
			break
		}
		msg, perr := p.Feed(line)
		if perr != nil {
			c.drop(perr)
		}
		if msg != nil {
			c.dispatch(msg)
		}
	}
	if errors.Is(err, io.EOF) {
		err = nil
	}
	c.mu.Lock()
	c.err = errors.Join(ErrClosed, err)
	for _, ch := range c.pending {
		close(ch)
	}
	c.pending = nil
	close(c.wake)
	c.mu.Unlock()
}

var errLong = fmt.Errorf("%w: line longer than %d bytes", ErrMalformed, maxLine)

// readLine reads one line, skipping the rest of an oversized one.
func readLine(r *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		frag, isPrefix, err := r.ReadLine()
		if err != nil {
			return "", err
		}
		if b.Len()+len(frag) <= maxLine {
			b.Write(frag)
		} else {
			for isPrefix {
				if _, isPrefix, err = r.ReadLine(); err != nil {
					return "", err
				}
			}
			return "", errLong
		}
		if !isPrefix {
			return b.String(), nil
		}
	}
}

func (c *Conn) drop(err error) {
	c.dropped.Add(1)
	c.log.Debug("management line dropped", "err", err)
}

func (c *Conn) dispatch(msg Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch m := msg.(type) {
	case Result:
		c.answerLocked(m)
		return
	case Line:
		if len(c.pending) == 0 {
			c.dropped.Add(1)
			return
		}
		if m.Text == "END" {
			c.answerLocked(Result{OK: true, Text: strings.Join(c.lines, "\n")})
			return
		}
		c.lines = append(c.lines, m.Text)
		return
	}
	c.queue = append(c.queue, msg)
	close(c.wake)
	c.wake = make(chan struct{})
}

func (c *Conn) answerLocked(r Result) {
	c.lines = nil
	if len(c.pending) == 0 {
		c.dropped.Add(1) // an answer nobody asked for
		return
	}
	ch := c.pending[0]
	c.pending = c.pending[1:]
	ch <- r // buffered: never blocks
}

// Command sends cmd (one line, or a block such as client-auth's whose
// lines are separated by "\n") and waits for its answer. An ERROR: answer
// is returned as an error.
func (c *Conn) Command(ctx context.Context, cmd string) (string, error) {
	ch := make(chan Result, 1)
	c.wmu.Lock()
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		c.wmu.Unlock()
		return "", c.err
	}
	c.pending = append(c.pending, ch)
	c.mu.Unlock()
	_, err := io.WriteString(c.rw, cmd+"\n")
	c.wmu.Unlock()
	if err != nil {
		return "", fmt.Errorf("send %q: %w", firstLine(cmd), err)
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return "", fmt.Errorf("%q: %w", firstLine(cmd), ErrClosed)
		}
		if !r.OK {
			return "", fmt.Errorf("%q refused by openvpn: %s", firstLine(cmd), r.Text)
		}
		return r.Text, nil
	case <-ctx.Done():
		return "", fmt.Errorf("%q: %w", firstLine(cmd), ctx.Err())
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// Next returns the next notification, waiting for one. Once the connection
// is closed and the queue drained it returns an error wrapping ErrClosed.
func (c *Conn) Next(ctx context.Context) (Message, error) {
	for {
		c.mu.Lock()
		if len(c.queue) > 0 {
			m := c.queue[0]
			c.queue[0] = nil
			c.queue = c.queue[1:]
			c.mu.Unlock()
			return m, nil
		}
		if c.err != nil {
			err := c.err
			c.mu.Unlock()
			return nil, err
		}
		wake := c.wake
		c.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
