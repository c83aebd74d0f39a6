// An SVG document rasterised through a canvas, for the views' "PNG" export buttons.

/**
 * Renders an SVG text to a PNG blob (2× for sharpness) in the browser.
 * @param {string} svgText
 * @param {number} width
 * @param {number} height
 * @returns {Promise<Blob|null>}
 */
export function svgToPng(svgText, width, height) {
  return new Promise((resolve) => {
    const url = URL.createObjectURL(new Blob([svgText], { type: "image/svg+xml" }));
    const image = new Image();
    image.onload = () => {
      const canvas = document.createElement("canvas");
      canvas.width = width * 2;
      canvas.height = height * 2;
      const ctx = canvas.getContext("2d");
      ctx.scale(2, 2);
      ctx.drawImage(image, 0, 0);
      URL.revokeObjectURL(url);
      canvas.toBlob((blob) => resolve(blob), "image/png");
    };
    image.onerror = () => {
      URL.revokeObjectURL(url);
      resolve(null);
    };
    image.src = url;
  });
}
