// Pins every TCP server in this Node process to the loopback interface.
//
// kinesis-local hardcodes its listen address to 0.0.0.0 (it even calls
// `listen(port, cb)` with no host for a wildcard address, which Node turns
// into `::`, every interface). Loaded with `node --require` before the
// package, this rewrites the host of `net.Server.prototype.listen`, which
// http, https and tls servers inherit, so the emulator is reachable from this
// machine only. Unix sockets and inherited handles are left as they are.
'use strict';

const net = require('net');

const LOOPBACK = '127.0.0.1';
const originalListen = net.Server.prototype.listen;

function isPort(value) {
  return typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value));
}

// Returns the arguments of a `listen` call with the host forced to loopback.
function pinToLoopback(args) {
  const first = args[0];
  if (typeof first === 'function' || first === undefined || first === null) {
    // listen([cb]): a random port on every interface.
    return [0, LOOPBACK, ...args.slice(first === undefined || first === null ? 1 : 0)];
  }
  if (isPort(first)) {
    // listen(port[, host][, backlog][, cb])
    const rest = args.slice(1);
    if (typeof rest[0] === 'string') rest.shift();
    return [first, LOOPBACK, ...rest];
  }
  if (typeof first === 'object' && !('fd' in first) && !('_handle' in first) && !('path' in first)) {
    // listen(options[, cb])
    return [{ ...first, host: LOOPBACK }, ...args.slice(1)];
  }
  // A unix socket path or an inherited handle: not a network interface.
  return args;
}

net.Server.prototype.listen = function listen(...args) {
  return originalListen.apply(this, pinToLoopback(args));
};
