// GraphiQL in headless Chromium with the network cut off beyond loopback: the page loads,
// the editor takes a query, and running it shows the answer.
// node graphiql.mjs http://127.0.0.1:8000/graphql /usr/bin/chromium
// Prints one JSON line: {"readyMs", "answeredMs", "answer", "blocked": [urls asked for elsewhere]}.
import { chromium } from 'playwright-core';

const [url, executablePath] = process.argv.slice(2);
const origin = new URL(url).origin;
// no name resolves but the server's own address, so nothing could be fetched from elsewhere
// even past page.route (which sees the page's requests, not Chromium's own)
const host = new URL(url).hostname;
const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${host}`,
         '--disable-background-networking', '--disable-component-update'],
});
try {
  const page = await browser.newPage();
  const blocked = [];
  await page.route('**/*', (route) => {
    const asked = route.request().url();
    if (asked.startsWith(origin) || asked.startsWith('data:') || asked.startsWith('blob:')) {
      return route.continue();
    }
    blocked.push(asked);
    return route.abort('internetdisconnected');
  });
  const started = Date.now();
  await page.goto(url, { waitUntil: 'load' });
  const editor = page.locator('.graphiql-query-editor .CodeMirror').first();
  await editor.waitFor({ timeout: 20000 });
  const readyMs = Date.now() - started;
  await editor.click();
  await page.evaluate(() => {
    document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(
      '{ symbol(ticker: "BTC") { ticker price } }'
    );
  });
  await page.locator('.graphiql-execute-button').click();
  const result = page.locator('.result-window');
  await result.getByText('"price"').waitFor({ timeout: 20000 });
  const answeredMs = Date.now() - started;
  const answer = await page.evaluate(
    () => document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()
  );
  console.log(JSON.stringify({ readyMs, answeredMs, answer: JSON.parse(answer), blocked }));
} finally {
  await browser.close();
}
