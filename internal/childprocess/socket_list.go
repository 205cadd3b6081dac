package childprocess

import "github.com/nodecluster/nodecluster/internal/events"

// socketList is what a process keeps about the sockets a server of
// another process sent it with a key (the sending server's connection
// key): how many are still open. The sender asks for that count
// (NODE_SOCKET_GET_COUNT, for its getConnections) and, when it closes,
// to be told once all are closed (NODE_SOCKET_NOTIFY_CLOSE, answered by
// NODE_SOCKET_ALL_CLOSED): a Node primary or worker that sent sockets
// waits for those answers, forever if none comes.
//
// OMITTED(node): lib/internal/socket_list.js SocketListSend, the sending
// side, is not ported: a Go server does not count the sockets it sent
// away (see net's OMITTED notes on getConnections and close).

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
