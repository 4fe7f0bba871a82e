/*
 * A one-line question on the terminal (stderr, so stdout stays clean for pipes).
 */
import { createInterface } from 'node:readline/promises';

export async function askLine(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}
