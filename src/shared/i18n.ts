/** The UI languages. Bitrix24 names Latin-American Spanish `la` and Brazilian Portuguese `br`. */
export type Lang = 'es' | 'en' | 'pt';

export function toLang(bitrixLang: string | undefined | null): Lang {
  const l = (bitrixLang ?? '').toLowerCase().slice(0, 2);
  if (l === 'es' || l === 'la') return 'es';
  if (l === 'pt' || l === 'br') return 'pt';
  if (l === 'en') return 'en';
  return l === '' ? 'es' : 'en';
}
