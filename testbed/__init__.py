"""A loopback testbed of real software: Node.js `ws` servers behind HAProxy or NGINX, a fleet of real
WebSocket clients whose reconnect delays come from wsfleet's own backoff code, faults, and a recorder that
writes wsfleet's own time-series columns, so that a measured reconnect storm can be compared with a
simulated one. Everything binds and connects to 127.0.0.1 only; every process the testbed starts is
killed by its PID when the run ends, fails or the interpreter exits. See docs/testbed.md."""

LOOPBACK = "127.0.0.1"
