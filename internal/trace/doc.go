// Package trace lets the walkthrough watch the article's path as it runs.
// Every mirrored function on the path calls [Step]; when tracing is off
// that is one branch on a bool. When it is on, each step becomes one line
// (process, Go function, JS function, what it did) written to the
// descriptor named by NODECLUSTER_TRACE_FD, or handed to a hook in the
// process that installed one. The IPC channel never carries trace lines:
// it carries only what Node would send.
//
// It has no JS counterpart.
package trace
