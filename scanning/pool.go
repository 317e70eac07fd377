package scanning

import (
	"context"
	"errors"
	"io"
	"sync"
)

// recognizerPool keeps at most size recognizers and lends each to one
// worker at a time.
type recognizerPool struct {
	newRec  func() (Recognizer, error)
	free    chan Recognizer
	mu      sync.Mutex
	created int
	size    int
}

func newRecognizerPool(newRec func() (Recognizer, error), size int) *recognizerPool {
	return &recognizerPool{newRec: newRec, free: make(chan Recognizer, size), size: size}
}

func (p *recognizerPool) get(ctx context.Context) (Recognizer, error) {
	select {
	case r := <-p.free:
		return r, nil
	default:
	}
	if p.newRec == nil {
		return nil, ErrNoRecognizer
	}
	p.mu.Lock()
	if p.created < p.size {
		p.created++
		p.mu.Unlock()
		r, err := p.newRec()
		if err != nil {
			p.mu.Lock()
			p.created--
			p.mu.Unlock()
			return nil, err
		}
		return r, nil
	}
	p.mu.Unlock()
	select {
	case r := <-p.free:
		return r, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

func (p *recognizerPool) put(r Recognizer) { p.free <- r }

func (p *recognizerPool) close() error {
	var errs []error
	for {
		select {
		case r := <-p.free:
			if c, ok := r.(io.Closer); ok {
				errs = append(errs, c.Close())
			}
		default:
			return errors.Join(errs...)
		}
	}
}
