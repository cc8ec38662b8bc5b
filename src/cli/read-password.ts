import { GatehouseError } from '../errors.js';

async function readAll(stream: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Asks on the terminal without echoing what is typed. */
function promptHidden(question: string): Promise<string> {
  const { stdin, stderr } = process;
  return new Promise((resolve, reject) => {
    let answer = '';
    stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const onData = (text: string): void => {
      for (const char of text) {
        if (char === '\r' || char === '\n') {
          finish();
          resolve(answer);
          return;
        }
        if (char === '\u0003') {
          finish();
          reject(new GatehouseError('invalid', 'cancelled'));
          return;
        }
        answer = char === '\u007f' ? answer.slice(0, -1) : answer + char;
      }
    };
    const finish = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}

/**
 * A password from standard input (`--password-stdin`: the whole input, less one trailing
 * newline) or, on a terminal, typed twice without echo. Never taken from the command line,
 * where other users could see it in the process list.
 */
export async function readPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin || !process.stdin.isTTY) {
    return (await readAll(process.stdin)).replace(/\r?\n$/, '');
  }
  const first = await promptHidden('Password: ');
  const second = await promptHidden('Password (again): ');
  if (first !== second) throw new GatehouseError('invalid', 'The two passwords do not match.');
  return first;
}
