#!/usr/bin/env node
// The installed `gatehouse` command: runs the compiled CLI.
import '../dist/src/cli/main.js';
