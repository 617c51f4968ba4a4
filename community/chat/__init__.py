"""Chat: private conversations between members who may talk, live over Socket.IO."""
