package nodecluster_test

// TLS and HTTP/2 on cluster workers: anything that takes a net.Listener,
// here net/http's ServeTLS, serves the connections the primary hands over.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	stdnet "net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nodecluster/nodecluster/cluster"
	"github.com/nodecluster/nodecluster/internal/uv"
	"github.com/nodecluster/nodecluster/net"
	"github.com/stretchr/testify/require"
)

func init() {
	workerScenarios["https"] = httpsWorker
}

// selfSigned makes a certificate for 127.0.0.1, valid for an hour.
func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "nodecluster test"},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []stdnet.IP{stdnet.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// httpsWorker answers "/" with who answered, the protocol and whether the
// request came over TLS.
func httpsWorker() {
	cert, err := selfSigned()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	w := cluster.CurrentWorker()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(rw http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(rw, "worker %d %s tls=%v", w.ID, r.Proto, r.TLS != nil)
	})
	srv := net.CreateServer(nil)
	hs := &http.Server{Handler: mux, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
	net.ServeHTTPTLS(srv, hs, "", "", nil)
	if err := srv.Listen(0, "127.0.0.1"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
}

// TestHTTPSOnClusterWorkers: two workers serve HTTPS through the
// round-robin primary, HTTP/1.1 and HTTP/2 (negotiated with ALPN), and
// stop gracefully on disconnect.
func TestHTTPSOnClusterWorkers(t *testing.T) {
	// The worker's certificate is self-signed. Each transport has its own
	// TLS config: the HTTP/2 one adds "h2" to the config's NextProtos.
	h1 := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true}}
	h2 := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true, ForceAttemptHTTP2: true}}
	var bodies []string
	codes := map[int]any{}
	primaryRun(t, 40*time.Second, func(fail func(string, ...any)) {
		l := uv.Default()
		var ws []*cluster.Worker
		listening := 0
		for i := 0; i < 2; i++ {
			w := forkScenario(t, "https", nil)
			ws = append(ws, w)
			w.On("exit", func(code, sig any) { codes[w.ID] = code })
			w.On("listening", func(a cluster.Address) {
				if listening++; listening < 2 {
					return
				}
				url := "https://127.0.0.1:" + strconv.Itoa(a.Port) + "/"
				var next func(int)
				next = func(i int) {
					if i == 4 {
						for _, x := range ws {
							x.Disconnect()
						}
						return
					}
					c := h1
					if i%2 == 1 {
						c = h2
					}
					l.Ref()
					h := &httpClient{c: c, url: url, loop: l, done: func(b string, err error) {
						if err != nil {
							fail("request %d: %v", i, err)
							return
						}
						bodies = append(bodies, b)
						next(i + 1)
					}}
					go h.run()
				}
				next(0)
			})
		}
	})
	require.Len(t, bodies, 4)
	who := map[string]bool{}
	for i, b := range bodies {
		f := strings.Fields(b) // worker N PROTO tls=true
		require.Len(t, f, 4, b)
		who[f[1]] = true
		want := "HTTP/1.1"
		if i%2 == 1 {
			want = "HTTP/2.0"
		}
		require.Equal(t, want, f[2], "request %d", i)
		require.Equal(t, "tls=true", f[3])
	}
	require.Len(t, who, 2, "both workers served: %v", bodies)
	for id, c := range codes {
		require.Equal(t, 0, c, "worker %d exit code", id)
	}
}

// A program that serves HTTP with net.ServeHTTP and never calls
// ServeHTTPTLS does not link net/http's TLS serving (ServeTLS reaches the
// HTTP/2 server: half a megabyte of binary, a third of a megabyte of RSS
// in every idle worker, measured by the bench).
func TestServeHTTPDoesNotLinkTLS(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command on PATH to build bench/goserver with: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "goserver")
	out, err := exec.Command(gobin, "build", "-o", bin, "./bench/goserver").CombinedOutput()
	require.NoError(t, err, "%s", out)
	syms, err := exec.Command(gobin, "tool", "nm", bin).Output()
	require.NoError(t, err)
	require.Contains(t, string(syms), "net/http.(*Server).Serve", "the symbol table does not list what the program does use")
	require.NotContains(t, string(syms), "net/http.(*Server).ServeTLS")
}
