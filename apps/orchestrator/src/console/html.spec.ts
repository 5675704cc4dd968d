import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeHtml, html as h, path, query } from './html';

// the tag is `h` here: Prettier reformats templates tagged html, and these tests compare exact text

describe('console html', () => {
  it('escapes every character that could open markup or leave an attribute', () => {
    assert.equal(
      escapeHtml(`<a href="x" onclick='y'>&\`</a>`),
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;',
    );
  });

  it('escapes interpolated values but keeps nested html and the template itself', () => {
    const name = '<script>alert(1)</script>';
    const out = h`<p title="${'" onmouseover="x'}">${name} ${h`<b>${'&'}</b>`}</p>`;
    assert.equal(
      out.text,
      '<p title="&quot; onmouseover=&quot;x">&lt;script&gt;alert(1)&lt;/script&gt; <b>&amp;</b></p>',
    );
  });

  it('joins lists, prints numbers, and renders nothing for false, null and undefined', () => {
    const items = ['a<', 'b'].map((x) => h`<li>${x}</li>`);
    assert.equal(h`<ul>${items}</ul>`.text, '<ul><li>a&lt;</li><li>b</li></ul>');
    assert.equal(h`${0}|${false}|${null}|${undefined}|${true}`.text, '0||||true');
  });

  it('encodes path segments and builds query strings of the values given', () => {
    assert.equal(path`/console/sagas/${'a/b?c'}`, '/console/sagas/a%2Fb%3Fc');
    assert.equal(
      query({ status: 'failed', type: undefined, cursor: '', q: 'a&b' }),
      '?status=failed&q=a%26b',
    );
    assert.equal(query({}), '');
  });
});
