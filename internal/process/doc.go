// Package process is Node's process object as cluster and net use it:
// send, the 'message', 'internalMessage' and 'disconnect' events, connected,
// exitCode and exit, and the signal events (a listener for "SIGUSR2" or
// "SIGTERM" takes the signal from its default action, as process.on does);
// and the start-up that Node runs before a script (the IPC channel from
// NODE_CHANNEL_FD, then the cluster worker when NODE_UNIQUE_ID is set),
// followed by the event loop until it is empty.
//
// Source: Node.js v20.20.2, lib/internal/process/pre_execution.js
// (setupChildProcessIpcChannel, initializeClusterIPC),
// lib/internal/process/signal.js (startListeningIfSignal,
// stopListeningIfSignal) and lib/internal/bootstrap (process.exit, exitCode).
// [Run] is the one entry point programs use.
package process
