import { Anchor, createTheme, Modal } from '@mantine/core';

// System fonts only: nothing is fetched from a font CDN. Shade 8 and automatic contrast keep text,
// buttons and badges at WCAG AA contrast; links are underlined so they do not rely on colour alone.
export const theme = createTheme({
  primaryColor: 'blue',
  primaryShade: { light: 8, dark: 6 },
  autoContrast: true,
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  fontFamilyMonospace: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
  defaultRadius: 'sm',
  components: {
    Anchor: Anchor.extend({ defaultProps: { underline: 'always' } }),
    // Mantine's close button of a dialog is an icon without a name; screen readers need one.
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }),
  },
});
