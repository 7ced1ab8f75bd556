#!/usr/bin/env node
// A committed shim so npm can link the command before `npm run build` has produced dist/.
await import('../dist/bin.js');
