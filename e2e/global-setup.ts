/** Playwright globalSetup: the tiny test models the Models tests import (generated when absent or stale). */
import { setupTinyModels } from '../scripts/vitest-global-setup';

export default function globalSetup(): void {
  setupTinyModels();
}
