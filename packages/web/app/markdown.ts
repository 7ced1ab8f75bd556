import { Marked, type Tokens } from 'marked';

const escapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => escapes[character] ?? character);
}

const safeUrl = /^(https?:|mailto:|#|\/(?!\/))/i;

// The agent's text is untrusted: raw HTML is shown as text, and only http(s)/mailto/relative
// links survive, so a reply can never run script in the page.
const marked = new Marked({ gfm: true, async: false });
marked.use({
  walkTokens(token) {
    if (token.type === 'link' || token.type === 'image') {
      const link = token as Tokens.Link | Tokens.Image;
      if (!safeUrl.test(link.href.trim())) link.href = '#';
    }
  },
  renderer: {
    html(token) {
      return escapeHtml(token.text);
    },
  },
});

/**
 * Renders agent markdown to sanitized HTML.
 *
 * @example
 * ```ts
 * renderMarkdown('**hi** <script>x</script>'); // '<p><strong>hi</strong> &lt;script&gt;x&lt;/script&gt;</p>\n'
 * ```
 */
export function renderMarkdown(text: string): string {
  const html = marked.parse(text) as string;
  return html.replace(/<a /g, '<a target="_blank" rel="noopener noreferrer" ');
}
