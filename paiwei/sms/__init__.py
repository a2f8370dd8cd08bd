"""SMS: one-time codes and a sender interface (database outbox or HTTP gateway)."""
