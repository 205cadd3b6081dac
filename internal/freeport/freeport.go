// Package freeport picks TCP ports for tests that must name a port before
// something listens on it (a fixed port in a JS script, a service started
// with -port, common.PORT in Node's tests). It has no Node counterpart.
//
// A port the kernel handed out for listen(0) and took back on close is
// soon handed out again, to another test's outgoing connection or
// listen(0), and the test packages run in parallel; so the ports come from
// below the kernel's ephemeral range (from 32768 on Linux), where only an
// explicit bind can take them.
package freeport

import (
	"fmt"
	"math/rand/v2"
	stdnet "net"
	"testing"
)

const (
	low  = 20000
	span = 12000 // up to 31999
)

// free reports whether nothing listens on port, on IPv4 or IPv6 (a
// listener without a host takes both where the machine has IPv6).
func free(port int) bool {
	l, err := stdnet.Listen("tcp", fmt.Sprintf(":%d", port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// Get returns a TCP port nobody listens on.
func Get(t testing.TB) int {
	t.Helper()
	for range 100 {
		if port := low + rand.IntN(span); free(port) {
			return port
		}
	}
	t.Fatalf("freeport: no free TCP port in %d-%d after 100 tries", low, low+span-1)
	return 0
}

// Pair returns a port p with p+1 free too (common.PORT and common.PORT + 1
// in Node's tests).
func Pair(t testing.TB) int {
	t.Helper()
	for range 100 {
		if port := low + rand.IntN(span-1); free(port) && free(port+1) {
			return port
		}
	}
	t.Fatalf("freeport: no two free TCP ports in a row in %d-%d after 100 tries", low, low+span-1)
	return 0
}
