/**
 * Tool globs: `*` matches any run of characters, dots included, so `crm.*` covers
 * `crm.contacts.update` and `*.delete` covers `s3.objects.delete`. Everything else is literal.
 */
export function isGlob(pattern: string): boolean {
  return pattern.includes('*');
}

export function compileGlob(pattern: string): (tool: string) => boolean {
  if (!isGlob(pattern)) return (tool) => tool === pattern;
  if (pattern === '*') return () => true;
  const parts = pattern.split('*');
  // Prefix and suffix checks cover the common shapes (`crm.*`, `*.delete`) without a regex.
  if (parts.length === 2) {
    const [prefix = '', suffix = ''] = parts;
    return (tool) =>
      tool.length >= prefix.length + suffix.length && tool.startsWith(prefix) && tool.endsWith(suffix);
  }
  const source = parts.map((part) => part.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&')).join('.*');
  const regex = new RegExp(`^${source}$`);
  return (tool) => regex.test(tool);
}
