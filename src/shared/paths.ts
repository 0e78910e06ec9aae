import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project folder (where package.json, migrations/ and views/ live), found by walking up from this
 * module: the same answer whether the code runs from src/ through tsx or from the dist/ bundle.
 */
function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'migrations'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) {
      throw new Error('WhatsAppB24: cannot find the project folder (package.json, migrations/)');
    }
    dir = up;
  }
}

export const ROOT_DIR = findRoot();
