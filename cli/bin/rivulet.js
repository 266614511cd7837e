#!/usr/bin/env node
// rivulet: runs the compiled CLI (npm install builds it through the prepare script).
import('../dist/main.js');
