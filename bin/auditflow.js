#!/usr/bin/env node
import { runAsProcess } from '../dist/src/process.js';

runAsProcess(process.argv.slice(2));
