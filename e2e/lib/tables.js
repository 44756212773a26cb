// Reading the tables Spendboard shows, as text, the way a person reads them.

/**
 * The header labels and the body rows (an array of cell texts each) of `table`, a Playwright
 * locator. Sort arrows are left out of the header labels.
 */
export async function readTable(table) {
  return table.evaluate((element) => {
    const text = (cell) => cell.textContent.replace(/[▲▼]/g, '').replace(/\s+/g, ' ').trim();
    return {
      headers: [...element.querySelectorAll('thead th')].map(text),
      rows: [...element.querySelectorAll('tbody tr')].map((row) => [...row.cells].map(text)),
    };
  });
}

/** The customer table of the dashboard. */
export function customerTable(page) {
  return page.locator('table.customers');
}

/** The cells of one column of the dashboard's customer table, by header label. */
export async function column(page, label) {
  const { headers, rows } = await readTable(customerTable(page));
  const index = headers.indexOf(label);
  if (index < 0) throw new Error(`no column "${label}" in ${headers.join(', ')}`);
  return rows.map((cells) => cells[index]);
}

/** `1,234.50` → 1234.5; `–`, `none` and other non-numbers → null. Units after the number are ignored. */
export function amount(text) {
  const match = /^-?[\d,]+(\.\d+)?/.exec(text.trim());
  return match ? Number(match[0].replace(/,/g, '')) : null;
}
