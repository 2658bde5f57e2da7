import { Alert, Button, type ButtonProps, Group, Modal, Stack, Text, Textarea } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { type ReactNode, useState } from 'react';
import { ApiError } from '../api/client';

/** Filled buttons in shades whose white label reads at AA contrast. */
const CONFIRM_COLORS: Record<string, string> = {
  red: 'red.9',
  green: 'teal.9',
  yellow: 'dark',
  gray: 'dark',
  blue: 'blue.8',
};

/**
 * A consequential action behind a confirmation dialog (the dialog traps focus and closes on Escape).
 * `field` asks for a text the API takes (a reason, a comment); when the API refuses it, its message
 * is shown under that field, and any other refusal above the buttons.
 */
export function ConfirmAction({
  label,
  title,
  children,
  confirmLabel,
  color = 'blue',
  field,
  onConfirm,
  buttonProps,
}: {
  label: string;
  title: string;
  children: ReactNode;
  confirmLabel?: string;
  color?: string;
  field?: { name: string; label: string; required?: boolean };
  onConfirm: (text: string) => Promise<unknown>;
  buttonProps?: ButtonProps;
}) {
  const [opened, { open, close }] = useDisclosure(false);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | Error | null>(null);

  const fieldError = field && error instanceof ApiError ? error.fieldErrors[field.name] : undefined;

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await onConfirm(text.trim());
      setText('');
      close();
    } catch (caught) {
      setError(caught instanceof Error ? caught : new Error(String(caught)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <Button variant="default" size="xs" onClick={open} {...buttonProps}>
        {label}
      </Button>
      <Modal opened={opened} onClose={close} title={title} centered>
        <Stack>
          <Text size="sm">{children}</Text>
          {field && (
            <Textarea
              label={field.label}
              required={field.required}
              value={text}
              onChange={(event) => setText(event.currentTarget.value)}
              error={fieldError}
              autosize
              minRows={2}
              data-autofocus
            />
          )}
          {error && !fieldError && (
            <Alert color="red" title="Not done" role="alert">
              {error.message}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button
              color={CONFIRM_COLORS[color] ?? 'blue.8'}
              loading={busy}
              onClick={() => void confirm()}
              disabled={field?.required && !text.trim()}
            >
              {confirmLabel ?? label}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
