#!/usr/bin/env node
// Entry point for `npx tickflow`: runs the TypeScript CLI through tsx's loader (no build step).
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
register('tsx/esm', pathToFileURL('./'));
await import('../cli/main.ts');
