/**
 * Bitrix24 operator text is BB-code (reference/bitrix24.md §4.1): `[b] [i] [s] [u] [url] [br] [quote]
 * [code] [user] …`, possibly with the core's operator prefix `[b]Name:[/b][br] `. WhatsApp formatting is
 * `*bold*`, `_italic_`, `~strike~`, ``` ```code``` ``` and `> ` quotes. Markers must hug the text, so
 * inner spaces move outside them. Unknown tags keep their content and lose the tag.
 */
const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
  '&#91;': '[',
  '&#93;': ']',
  '&nbsp;': ' ',
};

function wrap(marker: string, inner: string): string {
  const m = /^(\s*)([\s\S]*?)(\s*)$/.exec(inner);
  const [, lead = '', core = '', trail = ''] = m ?? [];
  return core ? `${lead}${marker}${core}${marker}${trail}` : inner;
}

export function bbcodeToWhatsApp(input: string): string {
  let s = input.replace(/\r\n?/g, '\n');
  s = s.replace(/\[br\]/gi, '\n');
  // Nested tags are resolved from the inside out: repeat while something changed.
  for (let i = 0; i < 8; i++) {
    const before = s;
    s = s
      .replace(/\[b\]([\s\S]*?)\[\/b\]/gi, (_, t: string) => wrap('*', t))
      .replace(/\[i\]([\s\S]*?)\[\/i\]/gi, (_, t: string) => wrap('_', t))
      .replace(/\[s\]([\s\S]*?)\[\/s\]/gi, (_, t: string) => wrap('~', t))
      .replace(/\[u\]([\s\S]*?)\[\/u\]/gi, '$1')
      .replace(/\[code\]([\s\S]*?)\[\/code\]/gi, (_, t: string) => '```' + t.trim() + '```')
      .replace(
        /\[quote\]([\s\S]*?)\[\/quote\]/gi,
        (_, t: string) =>
          t
            .trim()
            .split('\n')
            .map((l) => `> ${l}`)
            .join('\n') + '\n',
      )
      .replace(/\[url=([^\]]+)\]([\s\S]*?)\[\/url\]/gi, (_, href: string, text: string) => {
        const t = text.trim();
        return !t || t === href ? href : `${t} (${href})`;
      })
      .replace(/\[url\]([\s\S]*?)\[\/url\]/gi, '$1')
      .replace(/\[img\]([\s\S]*?)\[\/img\]/gi, '$1')
      .replace(
        /\[(user|chat|send|put|color|size|font|context|call|pch|dialog)(=[^\]]*)?\]([\s\S]*?)\[\/\1\]/gi,
        '$3',
      );
    if (s === before) break;
  }
  s = s.replace(/\[(icon|smile|attach|disk)(=[^\]]*)?[^\]]*\]/gi, '');
  s = s.replace(/&(amp|lt|gt|quot|#39|#91|#93|nbsp);/g, (e) => ENTITIES[e] ?? e);
  return s
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n[ \t]+/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
