#!/usr/bin/env node
// rivulet-agent: runs the compiled agent (npm install builds it through the prepare script).
import('../dist/main.js');
