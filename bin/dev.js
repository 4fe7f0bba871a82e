#!/usr/bin/env -S node --loader ts-node/esm --disable-warning=ExperimentalWarning
// Runs the plugin's commands straight from src/ through ts-node, for development.
import { execute } from '@oclif/core';

await execute({ development: true, dir: import.meta.url });
