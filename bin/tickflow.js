#!/usr/bin/env node
// Entry point for `npx tickflow`: registers tsx's loader, then runs the TypeScript CLI (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
