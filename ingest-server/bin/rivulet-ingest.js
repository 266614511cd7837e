#!/usr/bin/env -S node --max-semi-space-size=32
// rivulet-ingest: runs the compiled server (npm install builds it through the prepare script).
// --max-semi-space-size=32: the read path allocates many short-lived objects; a larger young
// generation (V8's default is 16 MiB per semi-space) measured about 10-20 % more Analytics
// throughput end to end (docs/benchmarks.md). `npm start` passes the same flag.
import('../dist/main.js');
