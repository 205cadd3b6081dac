package net

import (
	"slices"
	"unicode/utf8"

	"github.com/nodecluster/nodecluster/internal/childprocess"
	"github.com/nodecluster/nodecluster/internal/events"
	"github.com/nodecluster/nodecluster/internal/uv"
)

// This file holds the parts of lib/internal/streams/readable.js that
// connect one stream to another: pipe, its drain callback and unpipe.
// The rest of the Socket's readable side (read, pause, resume, the
// "readable" event) lives in socket.go, beside the handle it reads.

// PipeOptions are Pipe's options (Node's pipeOpts).
type PipeOptions struct {
	// End, when it points to false, leaves the destination open when the
	// source ends (Node's {end: false}): the source unpipes instead. Nil,
	// as Node's undefined, or true ends it: new(false) asks for Node's
	// {end: false}.
	End *bool
}

// pipeState is a source's side of its pipes: where it pipes to
// (state.pipes), and the destinations whose "drain" it waits for before
// it flows again (state.awaitDrainWriters; multiAwaitDrain is
// kMultiAwaitDrain, set once the source has had two destinations, when
// Node keeps them in a Set rather than alone).
type pipeState struct {
	pipes           []*Socket
	awaitDrain      []*Socket
	multiAwaitDrain bool
}

// unpipeInfo goes with "unpipe" from Unpipe(dest): the destination's own
// pipe listener undoes the pipe once, whichever of its listeners sees it
// first.
type unpipeInfo struct{ hasUnpiped bool }

// Pipe sends what s reads to dest, and returns dest: each chunk s emits
// as "data" is written to dest, and when a write answers false (16 KB or
// more wait in dest) s pauses until dest emits "drain" (with several
// destinations, until every one that asked has drained). When s ends,
// dest is ended (unless opts.End is false); when dest finishes or
// closes, s unpipes from it, and pauses when it pipes nowhere else. An
// "error" on dest unpipes too (the pipe's listener runs before dest's
// others); with no other "error" listener the error then goes unheard,
// as a Socket's error with no listener does here. dest emits "pipe" with
// s, and s starts flowing unless dest is waiting to drain (then s waits
// for it).
//
// DEVIATION(shape): Node pipes into any Writable; this one pipes into a
// Socket. A string chunk (SetEncoding on s) is written as its UTF-8, as
// Node's write writes a string with no encoding.
//
// Mirrors lib/internal/streams/readable.js Readable.prototype.pipe().
func (s *Socket) Pipe(dest *Socket, opts ...PipeOptions) *Socket {
	src := s
	st := &s.pipeState
	if len(st.pipes) == 1 && !st.multiAwaitDrain {
		st.multiAwaitDrain = true
	}
	st.pipes = append(st.pipes, dest)

	doEnd := len(opts) == 0 || opts[0].End == nil || *opts[0].End
	var (
		endL, unpipeL, dataL, errorL, closeL, finishL, drainL *events.Listener
		ondrain                                               func()
		cleanedUp                                             bool
	)
	unpipe := func() { src.Unpipe(dest) }
	onend := func() { dest.End(nil) }
	endFn := unpipe
	if doEnd {
		endFn = onend
	}
	if s.readableEnded {
		uv.Default().NextTick(endFn)
	} else {
		endL = s.Once("end", endFn)
	}

	cleanup := func() {
		dest.RemoveListener(closeL)
		dest.RemoveListener(finishL)
		if ondrain != nil {
			dest.RemoveListener(drainL)
		}
		dest.RemoveListener(errorL)
		dest.RemoveListener(unpipeL)
		src.RemoveListener(endL)
		src.RemoveListener(dataL)
		cleanedUp = true
		// A source left waiting for this destination's "drain" would never
		// flow again: count it drained now.
		if ondrain != nil && (st.multiAwaitDrain || len(st.awaitDrain) > 0) && dest.needDrain {
			ondrain()
		}
	}
	unpipeL = dest.On("unpipe", func(readable *Socket, info *unpipeInfo) {
		if readable == src && info != nil && !info.hasUnpiped {
			info.hasUnpiped = true
			cleanup()
		}
	})

	pause := func() {
		if !cleanedUp {
			switch {
			case len(st.pipes) == 1 && st.pipes[0] == dest:
				st.awaitDrain = append(st.awaitDrain[:0], dest)
				st.multiAwaitDrain = false
			case len(st.pipes) > 1 && slices.Contains(st.pipes, dest):
				if !slices.Contains(st.awaitDrain, dest) {
					st.awaitDrain = append(st.awaitDrain, dest)
				}
			}
			src.Pause()
		}
		if ondrain == nil {
			ondrain = src.pipeOnDrain(dest)
			drainL = dest.On("drain", ondrain)
		}
	}

	dataL = src.On("data", func(chunk any) {
		var b []byte
		switch c := chunk.(type) {
		case []byte:
			b = c
		case string:
			b = encodeUTF8(c)
		}
		if !dest.Write(b, nil) {
			pause()
		}
	})

	var onfinish func()
	errorL = dest.Prepend("error", func(err error) {
		unpipe()
		dest.RemoveListener(errorL)
		if dest.ListenerCount("error") == 0 && ReproduceSocketErrorThrow {
			dest.Emit("error", err) // throws, as in Node
		}
	})
	closeL = dest.Once("close", func() {
		dest.RemoveListener(finishL)
		unpipe()
	})
	onfinish = func() {
		dest.RemoveListener(closeL)
		unpipe()
	}
	finishL = dest.Once("finish", onfinish)

	dest.Emit("pipe", src)

	if dest.WritableNeedDrain() {
		pause()
	} else if s.flowing != 1 {
		src.Resume()
	}
	return dest
}

// pipeOnDrain is the "drain" listener Pipe adds to dest the first time
// dest asks s to wait: dest no longer holds s back, and s flows again
// once no destination does (and "data" still has listeners).
//
// Mirrors lib/internal/streams/readable.js pipeOnDrain().
func (s *Socket) pipeOnDrain(dest *Socket) func() {
	return func() {
		st := &s.pipeState
		switch {
		case !st.multiAwaitDrain && len(st.awaitDrain) == 1 && st.awaitDrain[0] == dest:
			st.awaitDrain = st.awaitDrain[:0]
		case st.multiAwaitDrain:
			if i := slices.Index(st.awaitDrain, dest); i >= 0 {
				st.awaitDrain = slices.Delete(st.awaitDrain, i, i+1)
			}
		}
		if len(st.awaitDrain) == 0 && s.ListenerCount("data") > 0 {
			s.Resume()
		}
	}
}

// clearAwaitDrain forgets which destinations s waits for: data that
// flows again (read, or emitted as it arrives) says they took the last.
func (s *Socket) clearAwaitDrain() {
	s.pipeState.awaitDrain = s.pipeState.awaitDrain[:0]
}

// Unpipe undoes Pipe: from dest, or, with no argument, from every
// destination. s pauses once it pipes nowhere, and each destination
// emits "unpipe" with s. A destination s does not pipe to is left alone.
//
// DEVIATION(shape): JS's optional dest is Go's optional argument.
//
// Mirrors lib/internal/streams/readable.js Readable.prototype.unpipe().
func (s *Socket) Unpipe(dest ...*Socket) *Socket {
	st := &s.pipeState
	if len(st.pipes) == 0 {
		return s
	}
	if len(dest) == 0 || dest[0] == nil {
		dests := st.pipes
		st.pipes = nil
		s.Pause()
		for _, d := range dests {
			d.Emit("unpipe", s, &unpipeInfo{})
		}
		return s
	}
	i := slices.Index(st.pipes, dest[0])
	if i < 0 {
		return s
	}
	st.pipes = slices.Delete(st.pipes, i, i+1)
	if len(st.pipes) == 0 {
		s.Pause()
	}
	dest[0].Emit("unpipe", s, &unpipeInfo{})
	return s
}

// encodeUTF8 is a string chunk as Node's write sends a string: its UTF-8,
// each lone surrogate (kept in WTF-8 here) written as U+FFFD.
func encodeUTF8(s string) []byte {
	if utf8.ValidString(s) {
		return []byte(s)
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		if childprocess.SurrogateAt(s[i:]) >= 0 {
			out = append(out, "\uFFFD"...)
			i += 3
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		out = append(out, s[i:i+size]...)
		i += size
	}
	return out
}
