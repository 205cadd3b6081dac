'use strict';
// Prints, for each value below, its name and what Node's advanced IPC
// channel writes for it (V8's header and value, without the channel's
// length prefix), in hex. v8values.txt is this script's output, recorded
// with node v20.20.2; v8serializer_test.go compares the Go serializer with
// it. The serializer is child_process's own (ChildProcessSerializer is not
// exported, so this is the same subclass of v8.DefaultSerializer).
const v8 = require('v8');

class ChildProcessSerializer extends v8.DefaultSerializer {
  _writeHostObject(object) {
    if (ArrayBuffer.isView(object)) {
      this.writeUint32(0);
      return super._writeHostObject(object);
    }
    this.writeUint32(1);
    this.writeValue({ ...object });
  }
}

function serialize(value) {
  const ser = new ChildProcessSerializer();
  ser.writeHeader();
  ser.writeValue(value);
  return ser.releaseBuffer().toString('hex');
}

function noStack(e) {
  delete e.stack;
  return e;
}

const shared = {};
const cyclic = {};
cyclic.self = cyclic;
const cyclicArray = [0];
cyclicArray[0] = cyclicArray;
const sparse = [];
sparse[10] = 1;
const mapKey = { k: 1 };
const withStack = new Error('s');
withStack.stack = 'Error: s\n    at here';
const sharedBuffer = Buffer.from([9]);
const errRef = new Error('x');
delete errRef.stack;

const values = {
  undefined: undefined,
  null: null,
  true: true,
  false: false,
  int0: 0,
  int1: 1,
  intMinus1: -1,
  int300: 300,
  intMax: 2147483647,
  intMin: -2147483648,
  int2p31: 2147483648,
  double: 1.5,
  negZero: -0,
  nan: NaN,
  infinity: Infinity,
  minusInfinity: -Infinity,
  emptyString: '',
  ascii: 'abc',
  latin1: 'é',
  twoByte: '€',
  astral: '😀',
  loneSurrogate: '\ud800',
  nul: 'a\u0000b',
  paddedTwoByte: [true, '€'],
  unpaddedTwoByte: [1, '€'],
  object: { a: 1, b: 'x' },
  indexKeys: { 2: 1, 1: 2, a: 3 },
  bigIndexKeys: { 2147483647: 1, 2147483648: 2, 4294967294: 3, 4294967295: 4 },
  sortedMap: { a: 2, b: 1 },
  emptyObject: {},
  array: [1, 2],
  emptyArray: [],
  holes: [1, , 3],
  undefinedAndHole: [undefined, ,],
  sparse,
  arrayWithProps: Object.assign([1], { x: 2 }),
  map: new Map([[1, 'a'], ['b', {}]]),
  mapObjectKey: new Map([[mapKey, mapKey]]),
  set: new Set([1, 'x']),
  date: new Date(0),
  date2024: new Date(Date.UTC(2024, 1, 29, 12, 30, 15, 250)),
  invalidDate: new Date(NaN),
  regexp: /a.b/gimsuy,
  regexpD: /x/d,
  regexpV: /\//v,
  bigint0: 0n,
  bigint1: 1n,
  bigintMinus1: -1n,
  bigint2p64: 2n ** 64n,
  bigintMinus2p70: -(2n ** 70n),
  numberObject: new Number(3),
  stringObject: new String('ab'),
  trueObject: new Boolean(true),
  falseObject: new Boolean(false),
  bigintObject: Object(5n),
  arrayBuffer: new ArrayBuffer(3),
  buffer: Buffer.from([1, 2, 3]),
  emptyBuffer: Buffer.alloc(0),
  uint8Array: new Uint8Array([1, 2]),
  uint16Array: new Uint16Array([1, 0x203]),
  float64Array: new Float64Array([1]),
  bigInt64Array: new BigInt64Array([-1n]),
  dataView: new DataView(new ArrayBuffer(2)),
  error: noStack(new Error('boom')),
  typeError: noStack(new TypeError('t')),
  rangeError: noStack(new RangeError('r')),
  evalError: noStack(new EvalError('e')),
  referenceError: noStack(new ReferenceError('f')),
  syntaxError: noStack(new SyntaxError('s')),
  uriError: noStack(new URIError('u')),
  errorCause: noStack(new Error('c', { cause: { n: 1 } })),
  errorUndefinedCause: noStack(new Error('c', { cause: undefined })),
  errorStack: withStack,
  errorRef: [errRef, shared, shared],
  shared: [shared, shared],
  cyclic,
  cyclicArray,
  nested: { a: [{ b: new Map([[{}, []]]) }] },
  sharedBuffer: [sharedBuffer, sharedBuffer],
  message: { cmd: 'NODE_CLUSTER', act: 'online', seq: 1, ack: undefined },
};

for (const [name, value] of Object.entries(values))
  console.log(`${name} ${serialize(value)}`);
