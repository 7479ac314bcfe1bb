package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows how far a long job is: a bar on a terminal, a plain line
// every few seconds otherwise, nothing with --quiet. It starts showing only
// after a short delay, so quick jobs print nothing.
type progress struct {
	stop chan struct{}
	wg   sync.WaitGroup
	unit string // "" for bytes, else the name of what is counted
}

const progressDelay = 2 * time.Second

// startProgress polls current() (bytes or rows done) against total (0 when
// unknown) until Stop.
func startProgress(w io.Writer, quiet bool, what string, total int64, current func() int64) *progress {
	return startProgressUnit(w, quiet, what, "", total, current)
}

// startProgressUnit is startProgress counting items named unit
// ("patients") rather than bytes.
func startProgressUnit(w io.Writer, quiet bool, what, unit string, total int64, current func() int64) *progress {
	return startProgressLate(w, quiet, what, unit, func() int64 { return total }, current)
}

// startProgressLate is startProgressUnit for a total known only once the
// work has started (an export counts its rows first): total is read when
// the display appears.
func startProgressLate(w io.Writer, quiet bool, what, unit string, totalFn, current func() int64) *progress {
	p := &progress{stop: make(chan struct{}), unit: unit}
	if quiet {
		return p
	}
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		select {
		case <-p.stop:
			return
		case <-time.After(progressDelay):
		}
		total := totalFn()
		if tty {
			p.bar(w, what, total, current)
		} else {
			p.lines(w, what, total, current)
		}
	}()
	return p
}

func (p *progress) bar(w io.Writer, what string, total int64, current func() int64) {
	max := total
	if max <= 0 {
		max = -1
	}
	bar := progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowBytes(p.unit == ""),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionShowCount(),
		progressbar.OptionClearOnFinish(),
	)
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		bar.Set64(current())
		select {
		case <-p.stop:
			bar.Finish()
			return
		case <-t.C:
		}
	}
}

func (p *progress) lines(w io.Writer, what string, total int64, current func() int64) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	start := time.Now().Add(-progressDelay)
	for {
		n := current()
		el := time.Since(start).Seconds()
		if p.unit != "" {
			if total > 0 {
				fmt.Fprintf(w, "%s: %.0f%% (%d of %d %s, %.0f/s)\n", what, 100*float64(n)/float64(total), n, total, p.unit, float64(n)/el)
			} else {
				fmt.Fprintf(w, "%s: %d %s (%.0f/s)\n", what, n, p.unit, float64(n)/el)
			}
		} else if total > 0 {
			fmt.Fprintf(w, "%s: %.0f%% (%s of %s, %.1f MB/s)\n", what, 100*float64(n)/float64(total), mb(n), mb(total), float64(n)/1e6/el)
		} else {
			fmt.Fprintf(w, "%s: %s (%.1f MB/s)\n", what, mb(n), float64(n)/1e6/el)
		}
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
	}
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

// Stop ends the display.
func (p *progress) Stop() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	p.wg.Wait()
}
