// The fake DOM (fake_dom.js) plus the globals uPlot reads when its module loads,
// so the views that import chart.js load under node. Import before the views.
import { install } from "./fake_dom.js";

install();
globalThis.window = globalThis;
globalThis.devicePixelRatio = 1;
globalThis.matchMedia = () => ({ matches: false, addEventListener() {}, removeEventListener() {}, addListener() {} });
globalThis.addEventListener = () => {};
globalThis.removeEventListener = () => {};
globalThis.dispatchEvent = () => true;
if (!globalThis.navigator) globalThis.navigator = { userAgent: "node" };
