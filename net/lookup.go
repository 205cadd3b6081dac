package net

import (
	"context"
	stdnet "net"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/nodecluster/nodecluster/internal/uv"
	"golang.org/x/sys/unix"
)

// This file holds dns.lookup as listen and connect use it. It has no
// counterpart in lib/net.js: Node calls lib/dns.js, which hands
// getaddrinfo to libuv's thread pool.

// LookupAddress is one address dns.lookup found: {address, family}.
type LookupAddress struct {
	Address string
	Family  int // 4 or 6
}

// LookupOptions are what connect asks dns.lookup for: addresses of one
// family (4 or 6; 0 for both), and all of them or only the first.
type LookupOptions struct {
	Family int
	All    bool
}

// dnsLookup is dns.lookup: cb gets the host's addresses from the loop, or
// the DNSException a failed lookup gives (at least one address when err
// is nil; only the first unless opts.All).
//
// Answers come back in the order the lookups were asked, as they do from
// libuv's thread pool when they are quick: a goroutine started last
// usually runs first, so an answer waits for the lookups asked before
// it, but never more than lookupOrderWait (a slow lookup does not hold the
// others back, in Node either).
//
// A host whose ASCII form (IDNA, as libuv's uv__idna_toascii writes it,
// with its terminating NUL) does not fit in 256 bytes is refused before
// any lookup, as libuv's uv_getaddrinfo refuses it: the callback gets
// "getaddrinfo EINVAL" on the next tick, as dns.lookup gives an error
// getaddrinfo returned at once.
func dnsLookup(host string, opts LookupOptions, cb func(err error, addrs []LookupAddress)) {
	l := uv.Default()
	if len(idnaToASCII(host)) >= 256 {
		l.NextTick(func() { cb(dnsException(-int(unix.EINVAL), "getaddrinfo", host), nil) })
		return
	}
	l.Ref()
	r := &resolver{host: host, opts: opts, loop: l, done: cb}
	lookups.q = append(lookups.q, r)
	go r.lookup()
}

// lookupOrderWait is how long an answer waits for earlier lookups.
const lookupOrderWait = 10 * time.Millisecond

// resolver runs dns.lookup for one host on its own goroutine.
type resolver struct {
	host string
	opts LookupOptions
	loop *uv.Loop
	done func(err error, addrs []LookupAddress)

	// set on the loop when the answer has come
	finished bool
	err      error
	addrs    []LookupAddress
}

// lookupQueue holds the lookups under way in the order they were asked,
// on the loop (there is one per process).
type lookupQueue struct {
	q     []*resolver
	timer *uv.Timer
}

var lookups lookupQueue

// DEVIATION(goroutine): dns.lookup runs getaddrinfo on libuv's thread
// pool; the port resolves on a goroutine and posts the answer to the loop.
func (r *resolver) lookup() {
	pprof.Do(context.Background(), pprof.Labels("node.fn", "dns.lookup"), r.run)
}

func (r *resolver) run(context.Context) {
	network := "ip"
	switch r.opts.Family {
	case 4:
		network = "ip4"
	case 6:
		network = "ip6"
	}
	ips, err := stdnet.DefaultResolver.LookupNetIP(context.Background(), network, r.host)
	var addrs []LookupAddress
	for _, ip := range ips {
		ip = ip.Unmap()
		fam := 4
		if ip.Is6() {
			fam = 6
		}
		addrs = append(addrs, LookupAddress{Address: ip.String(), Family: fam})
		if !r.opts.All {
			break
		}
	}
	r.loop.Post(func() {
		r.finished, r.err, r.addrs = true, err, addrs
		lookups.deliver(false)
	})
}

// deliver hands over the answers at the head of the queue that have
// come; with all, every answer that has come (an earlier lookup is
// slow). Answers left waiting get a timer.
func (lq *lookupQueue) deliver(all bool) {
	q := lq.q
	lq.q = nil // callbacks may look up again: theirs queue behind
	var kept []*resolver
	for _, r := range q {
		if r.finished && (all || len(kept) == 0) {
			r.answer()
			continue
		}
		kept = append(kept, r)
	}
	lq.q = append(kept, lq.q...)
	waiting := false
	for _, r := range lq.q {
		waiting = waiting || r.finished
	}
	if waiting && lq.timer == nil {
		lq.timer = uv.Default().SetTimeout(lookupOrderWait, func() {
			lq.timer = nil
			lq.deliver(true)
		})
		lq.timer.Unref()
	}
}

// answer calls the lookup's callback with its answer.
func (r *resolver) answer() {
	r.loop.Unref()
	if r.err != nil || len(r.addrs) == 0 {
		r.done(dnsException(lookupErrno(r.err), "getaddrinfo", r.host), nil)
		return
	}
	r.done(nil, r.addrs)
}

// idnaToASCII is host as libuv hands it to getaddrinfo: each label that
// holds a character beyond ASCII becomes "xn--" and its Punycode (RFC
// 3492), the others stay as they are; the separators libuv knows (".",
// and U+3002, U+FF0E, U+FF61) become ".". Only its length matters here.
func idnaToASCII(host string) string {
	var b strings.Builder
	label := []rune{}
	flush := func() {
		b.WriteString(punycodeLabel(label))
		label = label[:0]
	}
	for _, r := range host {
		switch r {
		case '.', 0x3002, 0xFF0E, 0xFF61:
			flush()
			b.WriteByte('.')
		default:
			label = append(label, r)
		}
	}
	flush()
	return b.String()
}

// punycodeLabel is one label in ASCII: itself when it is, else "xn--",
// its ASCII characters, a "-" when there were any, and the Punycode
// deltas of the rest.
func punycodeLabel(label []rune) string {
	const (
		base, tmin, tmax, skew, damp = 36, 1, 26, 38, 700
	)
	var out []byte
	basic := 0
	for _, r := range label {
		if r < 0x80 {
			out = append(out, byte(r))
			basic++
		}
	}
	if basic == len(label) {
		return string(out)
	}
	out = append([]byte("xn--"), out...)
	if basic > 0 {
		out = append(out, '-')
	}
	digit := func(d int) byte {
		if d < 26 {
			return byte('a' + d)
		}
		return byte('0' + d - 26)
	}
	adapt := func(delta, points int, first bool) int {
		if first {
			delta /= damp
		} else {
			delta /= 2
		}
		delta += delta / points
		k := 0
		for delta > ((base-tmin)*tmax)/2 {
			delta /= base - tmin
			k += base
		}
		return k + (base-tmin+1)*delta/(delta+skew)
	}
	n, delta, bias, h := 0x80, 0, 72, basic
	for h < len(label) {
		m := rune(0x7FFFFFFF)
		for _, r := range label {
			if int(r) >= n && r < m {
				m = r
			}
		}
		delta += (int(m) - n) * (h + 1)
		n = int(m)
		for _, r := range label {
			if int(r) < n {
				delta++
			}
			if int(r) != n {
				continue
			}
			q := delta
			for k := base; ; k += base {
				t := min(max(k-bias, tmin), tmax)
				if q < t {
					break
				}
				out = append(out, digit(t+(q-t)%(base-t)))
				q = (q - t) / (base - t)
			}
			out = append(out, digit(q))
			bias = adapt(delta, h+1, h == basic)
			delta = 0
			h++
		}
		delta++
		n++
	}
	return string(out)
}
