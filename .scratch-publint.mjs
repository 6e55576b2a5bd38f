import { readFileSync } from "node:fs";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
const buf = readFileSync("/tmp/ep/errand-0.1.0.tgz");
const { messages, pkg } = await publint({ pack: { tarball: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) }, level: "suggestion", strict: true });
for (const m of messages) console.log(m.type, m.code, formatMessage(m, pkg));
console.log("n", messages.length);
