#!/usr/bin/env node
// rivulet-ingest: runs the compiled server (npm install builds it through the prepare script).
import('../dist/main.js');
