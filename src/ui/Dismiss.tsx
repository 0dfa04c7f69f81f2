/** The × that closes an error or a warning. */
export function Dismiss({ testId, onClick }: { testId: string; onClick: () => void }) {
  return (
    <button className="link" data-testid={testId} onClick={onClick} aria-label="Dismiss">
      ×
    </button>
  );
}
