#!/usr/bin/env node
// Runs the plugin's commands from the compiled lib/ folder (as the installed plugin does).
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
