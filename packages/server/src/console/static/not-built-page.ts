/** What `/` answers when the console has not been built: a page that says how to build it. */
export function notBuiltPage(dir: string | undefined): string {
  const where =
    dir === undefined ? 'the @warden/console package is not installed' : 'no index.html was found';
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Warden Console is not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>Warden Console is not built</h1>
<p>This node serves the web console, but ${where}.</p>
<p>Build it with <code>npm run build</code> in the Warden checkout, then reload this page
(or point <code>WARDEN_CONSOLE_DIR</code> at a built console).</p>
<p>The API is here all the same: <a href="/openapi.json">/openapi.json</a>.</p>
</body>
</html>
`;
}
