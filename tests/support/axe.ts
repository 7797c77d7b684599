/** axe-core in a page (its context must bypass the page's CSP): the serious and critical violations. */
import type { Page } from 'playwright-core';

export async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: require.resolve('axe-core') });
  return page.evaluate<string[]>(
    'axe.run().then((r) => r.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.impact} ${v.id}`))',
  );
}
