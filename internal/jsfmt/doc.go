// Package jsfmt writes values as JS writes them, for the packages that
// print JS values: a number as Number::toString does, and a string as
// util.inspect quotes it. It has no JS file of its own: these are the
// pieces of V8's number printing and of lib/internal/util/inspect.js
// (strEscape) the port needs, in one place.
//
// Source: Node.js v20.20.2, lib/internal/util/inspect.js.
package jsfmt
