/** Every command of the command line beside a running server on SQLite (test/cli/every-command.ts). */
import { everyCommand } from './every-command.js';

await everyCommand('sqlite');
