/**
 * The pack's stylesheet, inline so the HTML is one file that opens anywhere and prints the same: A4 pages, each
 * section on a new page, table headers repeated on every page, rows never split, and colours kept in print (they
 * only ever repeat what a word already says).
 */
export const packStyle = `
@page { size: A4; margin: 16mm 14mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font: 10pt/1.4 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #1b1f24; margin: 0 auto; max-width: 190mm; padding: 8mm 0; }
h1 { font-size: 20pt; margin: 0 0 2mm; }
h2 { font-size: 14pt; margin: 6mm 0 2mm; border-bottom: 1px solid #9aa4ae; padding-bottom: 1mm; }
h3 { font-size: 11.5pt; margin: 5mm 0 1mm; break-after: avoid; }
p { margin: 1mm 0 2mm; }
.sub { color: #4a545e; margin-bottom: 5mm; }
.page { break-before: page; page-break-before: always; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 3mm; font-size: 8.5pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { border: 1px solid #c5ccd3; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
th { background: #eef1f4; font-weight: 600; }
td.empty { color: #4a545e; font-style: italic; }
table.facts { width: auto; font-size: 10pt; }
table.facts th { width: 38mm; }
.verdict { border: 2px solid; border-radius: 2mm; padding: 3mm 4mm; margin: 5mm 0; break-inside: avoid; }
.verdict h2 { border: none; margin: 0 0 1mm; font-size: 16pt; }
.verdict.ok { border-color: #1a7f37; background: #eaf7ee; }
.verdict.fail { border-color: #b42318; background: #fdecea; }
.good { color: #1a7f37; font-weight: 600; }
.bad { color: #b42318; font-weight: 600; }
.tags { font-size: 8pt; }
.tag { display: inline-block; border: 1px solid #9aa4ae; border-radius: 1mm; padding: 0 1mm; margin: 0 0.5mm 0.5mm 0; white-space: nowrap; }
@media print { body { max-width: none; padding: 0; } }
.mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 7.5pt; word-break: break-all; }
.note { color: #4a545e; font-size: 8.5pt; }
ul { margin: 1mm 0 3mm; padding-left: 6mm; }
li { margin: 0.5mm 0; }
`;
