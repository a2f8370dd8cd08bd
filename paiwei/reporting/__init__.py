"""Reports as use cases: read what a report shows (database or publication folder), turn
codes into labels (``paiwei.data``), and hand frozen values to :mod:`reports`, which
renders them. Nothing here lays anything out; nothing in ``reports`` reads a database."""
