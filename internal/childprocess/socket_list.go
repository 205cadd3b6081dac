package childprocess

import "github.com/nodecluster/nodecluster/internal/events"

// Socket lists are what two processes keep about the sockets a server of
// one sent the other with a key (the sending server's connection key).
// The receiver counts how many are still open (SocketListReceive); the
// sender asks for that count (NODE_SOCKET_GET_COUNT, for its server's
// getConnections) and, when its server closes, to be told once all are
// closed (NODE_SOCKET_NOTIFY_CLOSE, answered by NODE_SOCKET_ALL_CLOSED)
// (SocketListSend).

// SocketListSend is the sender's side of one key on one channel: it asks
// the other process about the sockets it sent there, and emits "exit"
// (with itself) when that process exits.
type SocketListSend struct {
	events.EventEmitter
	key   string
	child *Target
}

// newSocketListSend makes the list for key on child's channel.
//
// Mirrors lib/internal/socket_list.js SocketListSend().
func newSocketListSend(child *Target, key string) *SocketListSend {
	l := &SocketListSend{key: key, child: child}
	child.Once("exit", func() { l.Emit("exit", l) })
	return l
}

// request sends msg and calls callback with the reply whose cmd is cmd
// and whose key is the list's, or with ERR_CHILD_CLOSED_BEFORE_REPLY when
// the channel closes first.
//
// Mirrors lib/internal/socket_list.js SocketListSend._request().
func (l *SocketListSend) request(msg *Object, cmd string, swallowErrors bool, callback func(err error, reply *Object)) {
	var onreply *events.Listener
	onclose := func() {
		if onreply != nil {
			l.child.RemoveListener(onreply)
		}
		callback(errChildClosedBeforeReply, nil)
	}
	if !l.child.Connected {
		onclose()
		return
	}
	l.child.send(msg, nil, SendOptions{SwallowErrors: swallowErrors}, nil)
	closeL := l.child.Once("disconnect", onclose)
	onreply = l.child.On("internalMessage", func(m any, _ any) {
		r, ok := m.(*Object)
		if !ok {
			return
		}
		if c, _ := r.String("cmd"); c != cmd {
			return
		}
		if k, _ := r.String("key"); k != l.key {
			return
		}
		l.child.RemoveListener(closeL)
		l.child.RemoveListener(onreply)
		callback(nil, r)
	})
}

var errChildClosedBeforeReply = &ErrnoError{Code: "ERR_CHILD_CLOSED_BEFORE_REPLY", Message: "Child closed before reply received"}

// Close asks the other process to say when every socket of the list has
// closed; callback runs then.
//
// Mirrors lib/internal/socket_list.js SocketListSend.close().
func (l *SocketListSend) Close(callback func(err error)) {
	l.request(NewObject("cmd", "NODE_SOCKET_NOTIFY_CLOSE", "key", l.key), "NODE_SOCKET_ALL_CLOSED", true, func(err error, _ *Object) {
		callback(err)
	})
}

// GetConnections asks the other process how many sockets of the list are
// still open.
//
// Mirrors lib/internal/socket_list.js SocketListSend.getConnections().
func (l *SocketListSend) GetConnections(callback func(err error, count int)) {
	l.request(NewObject("cmd", "NODE_SOCKET_GET_COUNT", "key", l.key), "NODE_SOCKET_COUNT", false, func(err error, reply *Object) {
		if err != nil {
			callback(err, 0)
			return
		}
		callback(nil, reply.Int("count", 0))
	})
}

// Closer is a received socket as a socket list needs it: something that
// says once when it closes.
type Closer interface {
	Once(event string, fn any) *events.Listener
}

// SocketListReceive counts the open sockets received under one key and
// answers the sender's questions about them (newSocketListReceive is its
// constructor).
type SocketListReceive struct {
	connections int
	key         string
	child       *Target
	onEmpty     []func()
}

// newSocketListReceive makes the list for key and starts answering the
// sender's internal messages about it.
//
// Mirrors lib/internal/socket_list.js SocketListReceive().
func newSocketListReceive(child *Target, key string) *SocketListReceive {
	l := &SocketListReceive{key: key, child: child}
	child.On("internalMessage", func(msg any, _ any) {
		m, ok := msg.(*Object)
		if !ok {
			return
		}
		if k, _ := m.String("key"); k != l.key {
			return
		}
		switch cmd, _ := m.String("cmd"); cmd {
		case "NODE_SOCKET_NOTIFY_CLOSE":
			if l.connections == 0 {
				l.onempty() // already empty
				return
			}
			l.onEmpty = append(l.onEmpty, l.onempty)
		case "NODE_SOCKET_GET_COUNT":
			if !l.child.Connected {
				return
			}
			l.child.send(NewObject("cmd", "NODE_SOCKET_COUNT", "key", l.key, "count", l.connections), nil, SendOptions{}, nil)
		}
	})
	return l
}

// onempty tells the sender that every socket of the list has closed.
//
// Mirrors lib/internal/socket_list.js SocketListReceive() inner onempty().
func (l *SocketListReceive) onempty() {
	if !l.child.Connected {
		return
	}
	l.child.send(NewObject("cmd", "NODE_SOCKET_ALL_CLOSED", "key", l.key), nil, SendOptions{SwallowErrors: true}, nil)
}

// Add counts a received socket until it closes.
//
// Mirrors lib/internal/socket_list.js SocketListReceive.add().
func (l *SocketListReceive) Add(socket Closer) {
	l.connections++
	socket.Once("close", func() {
		l.connections--
		if l.connections == 0 {
			waiting := l.onEmpty
			l.onEmpty = nil
			for _, fn := range waiting {
				fn()
			}
		}
	})
}
